"""Speed-ups kept apart from the flow: each is entered at one call site and has a plain path
(ADOPT_SPEEDUPS=0)."""
