"""Requests nobody wrote down: the contract document, generated-request runs and contract drift."""
