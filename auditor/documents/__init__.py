"""Documents: settings files, snapshots, rule files, configs, waivers and reports as data.

Takes text and files; gives validated plain data, errors that name file, line and JSON
path (errors.InputError, the one error the command line turns into exit 2), the shared
vocabulary those documents are written in, and atomic writes (files.py).

Uses only the safety floor below it (redaction, masked emails, critical sections); never
imports the engine, the collectors, the reports or the command line.
"""
