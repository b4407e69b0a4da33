"""What the three apps share and none of them owns: errors, markdown, bulk writes, database helpers,
background enqueueing. It imports nothing from `labeler`, `rankings` or `exports`."""
