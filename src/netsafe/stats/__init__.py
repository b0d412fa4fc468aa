"""Statistics: figures from our records and from outside, disclosure control, charts, the annual report."""
