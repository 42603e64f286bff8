"""Canadian English dates and times, the one style of the whole portal.

Month, day, year in words and the 12-hour clock with "a.m." and "p.m.", as Canadian Press and
the Translation Bureau's Canadian Style write them: "December 2, 2026, 2:40 p.m.". Times keep
their minutes ("2:00 p.m.", never "2 p.m." or "noon") so that they line up in tables and a
deadline at 11:59 p.m. is never read as "midnight" of the wrong day. All-numeric dates follow
the Government of Canada standard (ISO 8601, 2026-12-02).

Templates name these formats (``|date``, ``|date:"DATETIME_FORMAT"``, ``|time``,
``|date:"YEAR_MONTH_FORMAT"``) and never spell a format out; ``cswb.tests.test_dates`` checks it.
Django's own ``en_CA`` module supplies what is not set here (input formats, separators).
"""

DATE_FORMAT = "F j, Y"  # December 2, 2026
TIME_FORMAT = "g:i a"  # 2:40 p.m.
DATETIME_FORMAT = "F j, Y, g:i a"  # December 2, 2026, 2:40 p.m.
YEAR_MONTH_FORMAT = "F Y"  # December 2026
MONTH_DAY_FORMAT = "F j"  # December 2
SHORT_DATE_FORMAT = "Y-m-d"  # 2026-12-02
SHORT_DATETIME_FORMAT = "Y-m-d, g:i a"  # 2026-12-02, 2:40 p.m.
FIRST_DAY_OF_WEEK = 0  # Sunday
