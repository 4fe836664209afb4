"""The coordinator's review queue and the feedback on alerts (issue 14).

``verdicts`` builds the events a verdict publishes (pure); ``store`` reads the queue and writes
feedback (the audit store adapter). The pathway decides what a verdict does to a patient
(services.pathway.reviews); nothing here changes patient state.
"""
