"""Reports: the results model and one template per format.

Takes findings and the snapshot; gives report.html, report.md, report.json and the
terminal summary.
"""
