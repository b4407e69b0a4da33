"""The pages of the rankings app: the trainer's ranking screen and the lead's dashboard."""
