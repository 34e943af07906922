"""Documents: settings files, snapshots, rule files and reports as data, checked and written.

Takes text and files; gives validated plain data, errors that name file and line, and
atomic writes. Imports nothing else of the package.
"""
