"""The rules of setting up party organisations (组织设置), each with its source.

* Any unit with 3 or more full members should set up its own 党支部; a unit with fewer joins others
  in a 联合党支部 (covering normally no more than 5 units) (《中国共产党支部工作条例（试行）》第四条,
  第五条). So a 党支部 (not a joint one) with fewer than 3 full members should be merged into a
  联合党支部; the dashboard flags it (``stats.alerts`` ``branch_too_small``).
* A 党支部 has normally no more than 50 party members (第四条).
* A branch with 7 or more full members elects a committee: ``elections.rules``.
"""

# Full (正式) members a unit needs for a 党支部 of its own; fewer: a 联合党支部.
BRANCH_MIN_FULL_MEMBERS = 3
# Party members (probationary and full) a 党支部 normally has at most.
BRANCH_MAX_MEMBERS = 50
