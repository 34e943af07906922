#!/bin/sh
# Runs the audit and keeps the last report.json as the next run's baseline.
# Credentials are read from ~/.config/integration-audit/env (mode 600), never the crontab.
set -eu
cd "${AUDIT_HOME:-$HOME/integration-audit}"
set -a
. "${AUDIT_ENV:-$HOME/.config/integration-audit/env}"
set +a

baseline=""
if [ -f baseline/report.json ]; then
  baseline="--baseline baseline/report.json"
fi
status=0
# shellcheck disable=SC2086  # $baseline is empty or two words on purpose
auditor audit --config auditor.yaml $baseline --quiet || status=$?
if [ -f reports/report.json ]; then
  mkdir -p baseline
  cp reports/report.json baseline/report.json
fi
exit "$status"
