"""Approved events out: the iCalendar feed, the JSON feed and the programme page."""
