"""Salesforce: signing in, the requests, and the answers turned into snapshot evidence."""
