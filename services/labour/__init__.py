"""Employers, work permits and violations (SPEC §15).

- ``rules``: the pure rules (BIN, floors, ICT cap, validity, suspension);
- ``employers``: the registry (``registerEmployer``, ``updateEmployerStaff``);
- ``permits``: ``requestWorkPermit``, ``decideWorkPermit``, the places LABOUR applications use;
- ``violations``: ``recordViolation`` and an employer's suspension.
"""
