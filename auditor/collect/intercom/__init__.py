"""Intercom: the REST client, paging, and the answers turned into snapshot evidence."""
