"""Automated data validation: outside sources behind Protocols (``sources``), their HTTP
adapters (``adapters``), the consistency rules (``rules_application``, ``rules_sources``)
and the cross-validated verification report (``crosscheck``)."""
