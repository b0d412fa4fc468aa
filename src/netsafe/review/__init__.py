"""Review of a scan's unknown items and "grade once": groups, votes, consensus, the local graded set."""
