"""Monitoring the plan as it runs: alerts that go to the workplace first and escalate.

- :mod:`~commonplan.monitor.alerts` — the alert state machine (raised → acknowledged →
  explained or corrected → resolved; escalation up the federation when not answered in time).
- :mod:`~commonplan.monitor.status` — a running round watched: every workplace's reconciled
  output and hours against the plan, Beer's indices, the floors' status, monitor alerts.
"""
