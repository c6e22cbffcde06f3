"""Working days (工作日) for the coordination clocks: weekends, China's holidays and make-up days.

China's State Council publishes each year's holidays and the weekend days worked in lieu
(调休上班) late in the year before; the ``chinesecalendar`` package ships them. For a year it
does not know yet, a working day is Monday to Friday.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar

__all__ = ["add_working_days", "is_working_day", "working_days_after"]


def is_working_day(day: dt.date) -> bool:
    """Whether ``day`` is a working day in China.

    Examples
    --------
    >>> is_working_day(dt.date(2026, 10, 1)), is_working_day(dt.date(2026, 10, 9))
    (False, True)
    >>> is_working_day(dt.date(2026, 10, 10))  # a Saturday worked in lieu (调休上班)
    True
    >>> is_working_day(dt.date(2031, 3, 3)), is_working_day(dt.date(2031, 3, 2))  # Mon–Fri rule
    (True, False)
    """
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(day: dt.date, days: int) -> dt.date:
    """Return the working day that is ``days`` working days after ``day``.

    The day itself does not count: a request sent on a Friday with 3 working days to
    answer is due on the next Wednesday (with no holiday in between).

    Examples
    --------
    >>> add_working_days(dt.date(2026, 11, 27), 3)  # Friday → Wednesday
    datetime.date(2026, 12, 2)
    >>> add_working_days(dt.date(2026, 9, 30), 3)  # National Day (Oct 1–7), then Thu, Fri, Sat 调休
    datetime.date(2026, 10, 10)
    >>> add_working_days(dt.date(2026, 11, 28), 0)  # a Saturday, 0 days: itself
    datetime.date(2026, 11, 28)
    """
    current = day
    left = days
    while left > 0:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            left -= 1
    return current


def working_days_after(due: dt.date, today: dt.date) -> int:
    """Return how many working days ``today`` is past ``due`` (0 on or before it).

    Examples
    --------
    >>> working_days_after(dt.date(2026, 12, 2), dt.date(2026, 12, 2))
    0
    >>> working_days_after(dt.date(2026, 12, 2), dt.date(2026, 12, 7))  # Thu, Fri, Mon
    3
    """
    count = 0
    current = due
    while current < today:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count
