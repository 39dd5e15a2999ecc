"""Billing certification: checks of bills against metered data, tariffs and the SC 38 / GDPR
requirements (`checks`), and the offline verifier behind `harness bill verify` (`verify`)."""
