class RankLabError(Exception):
    """A problem a person can act on; the message is written for them."""
