"""Observables shared with peers and taken in from them: CSV, STIX 2.1 bundles and MISP
events out (observables.sharing.services.observables_export), STIX and MISP in
(observables_import), with the Traffic Light Protocol enforced on the way out
(observables.sharing.tlp)."""
