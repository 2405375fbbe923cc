/**
 * The Prometheus alert rules that watch the secrets' ages (reliability_secret_age_seconds against
 * reliability_secret_max_age_seconds, the maximum of every replica), as a rule file; docs/secrets.md ships the same.
 */
export const SECRET_ALERT_RULES = `groups:
  - name: reliability-secrets
    rules:
      - alert: ReliabilitySecretExpired
        expr: |
          max by (secret) (reliability_secret_age_seconds)
            >= max by (secret) (reliability_secret_max_age_seconds)
        for: 5m
        labels:
          severity: page
        annotations:
          summary: 'Secret {{ $labels.secret }} is older than its maximum age: rotate it, then update its rotatedAt'
      - alert: ReliabilitySecretDueSoon
        expr: |
          max by (secret) (reliability_secret_age_seconds)
            >= max by (secret) (reliability_secret_max_age_seconds) - 14 * 86400
          and
          max by (secret) (reliability_secret_age_seconds)
            < max by (secret) (reliability_secret_max_age_seconds)
        for: 5m
        labels:
          severity: ticket
        annotations:
          summary: 'Secret {{ $labels.secret }} reaches its maximum age within 14 days'
`;
