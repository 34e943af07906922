"""Safety: what keeps every run safe, whichever command runs and whatever it reads.

No secret leaves the process in any form (secrets, redaction); customer data and text
from outside are shown only as honest, masked text (privacy, display, addresses); a
signal never leaves a half-written file (interrupts); the cache between runs can make a
run faster but never break it or load code another user wrote (run_cache,
template_cache).

Every stage may use this floor. It never imports a stage: not the documents, not the
engine, the collectors, the reports or the command line.
"""
