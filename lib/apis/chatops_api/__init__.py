"""The team's ChatOps service: POST a pull-request reminder request."""
