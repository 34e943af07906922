#!/bin/sh
# Nightly: a folder per run, the last run as baseline, a notice when worse, the trend.
set -eu; cd "${AUDIT_HOME:-$HOME/integration-audit}"   # auditor.yaml, settings.yaml, runs/
last=$(ls -d runs/*/ 2>/dev/null | tail -n 1); run=runs/$(date -u +%Y%m%dT%H%M%SZ)
status=0   # '$SLACK_AUDIT_WEBHOOK' in quotes: the auditor reads it, ps never shows it
auditor audit --config auditor.yaml --out "$run" --format html --format md --format json \
  ${last:+--baseline "${last}report.json"} \
  ${SLACK_AUDIT_WEBHOOK:+--notify '$SLACK_AUDIT_WEBHOOK'} --quiet || status=$?
auditor history runs --out trend || status=$?   # trend.html, trend.md, trend.json
exit "$status"
