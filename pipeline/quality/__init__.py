"""Evaluation against gold files, its report, and the rules' own examples."""
