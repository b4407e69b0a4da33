"""Hostile and pathological markdown, each within the import limit of 200,000 characters.

Shared by the rendering test (no active content survives, no text is hidden) and by
`bench/render.py` (the worst render time).
"""

LIMIT = 200_000
DEEP = "deep-sentinel"

ACTIVE = {
    "script": "<script>alert(1)</script> after",
    "img onerror": '<img src=x onerror="alert(1)">',
    "javascript link": "[click](javascript:alert(1))",
    "javascript link, mixed case": "[click](JaVaScRiPt:alert(1))",
    "javascript link, entities": "[click](&#106;avascript:alert(1))",
    "javascript link, angle brackets": "[click](<javascript:alert(1)>)",
    "javascript autolink": "<javascript:alert(1)>",
    "javascript image": "![x](javascript:alert(1))",
    "data link": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "vbscript link": "[x](vbscript:msgbox(1))",
    "title breakout": '[x](https://example.com "a\\" onmouseover=\\"alert(1)")',
    "raw anchor": '<a href="javascript:alert(1)">x</a>',
    "iframe": "<iframe src=https://example.com></iframe>",
    "svg": "<svg onload=alert(1)><circle/></svg>",
    "style": "<style>*{display:none}</style>",
    "code fence info": '```"><script>alert(1)</script>\ncode\n```',
    "reference link": "[x][r]\n\n[r]: javascript:alert(1)",
    "form": '<form action="https://evil.example"><input name=a></form>',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    "table cell": "| <b onclick=alert(1)>a</b> |\n| --- |\n| `<script>` |",
}

PATHOLOGICAL = {
    "brackets": "[" * LIMIT,
    "image brackets": "![" * (LIMIT // 2),
    "star underscore": "*_" * (LIMIT // 2),
    "underscore star": "_*" * (LIMIT // 2),
    "link openers": "[a](" * (LIMIT // 4),
    "backticks": "`" * LIMIT,
    "backtick runs": "`a``" * (LIMIT // 4),
    "angle brackets": "<" * LIMIT,
    "angle tags": "<a" * (LIMIT // 2),
    "tildes": "~~a" * (LIMIT // 3),
    "entities": "&#" * (LIMIT // 2),
    "escapes": "\\" * LIMIT,
    "wide table": "|" + "a|" * 2000 + "\n|" + "-|" * 2000 + "\n" + "|b\n" * ((LIMIT - 8004) // 3),
    "wide table, 9,000 rows": "|" + "a|" * 2000 + "\n|" + "-|" * 2000 + "\n" + "|b\n" * 9000,
    "table, 9,000 full rows": "|a|b|c|d|e|f|g|h|\n" + "|-" * 8 + "|\n" + "|1|2|3|4|5|6|7|8|\n" * 9000,
    "many short tables": "|a|b|\n|-|-|\n|c|d|\n\n" * (LIMIT // 20),
    "reference definitions": "[a]: https://example.com\n" * 4000 + "[a] " * 20000,
    "unbroken line": "a" * LIMIT,
    "quotes nested deep": "> " * 30 + DEEP,
    "quotes nested deeper": "> " * 2000 + DEEP,
    "lists nested deep": "".join("  " * depth + f"- level {depth}\n" for depth in range(12))
    + "  " * 12
    + f"- {DEEP}\n",
    "lists nested deeper": "".join("    " * depth + "1. x\n" for depth in range(300)) + "    " * 300 + f"1. {DEEP}\n",
    "emphasis nested": "*" * 5000 + DEEP + "*" * 5000,
    "links nested": "[" * 5000 + DEEP + "](x)" * 5000,
    "headings": "# a\n" * (LIMIT // 4),
    "headings, 9,000": "# a\n" * 9000,
    "list, 9,000 items": "- a\n" * 9000,
    "long prose": ("The quick brown fox jumps over the lazy dog. " * 20 + "\n\n") * (LIMIT // 920),
}
