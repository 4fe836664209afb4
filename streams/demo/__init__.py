"""`cordwatch demo`: broker, worker and simulated hospital in one run, the alerts shown live.

Modules: ``options`` (defaults and the parsed request), ``feed`` (the examples file and its
publication), ``plan`` (where the simulated stories' clocks run out), ``console`` and ``lines``
(output), ``worker`` (the worker child process), ``watcher`` (the live reader of Cordwatch's
outputs), ``hospital`` (the simulated hospital's run and progress), ``report`` (the closing
summary) and ``session`` (the orchestration). Heavy imports stay inside functions, so
`cordwatch --help` stays fast.
"""
