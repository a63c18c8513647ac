"""Experiment trackers for NAS Kernel searches (see ``docs/tracking.md``)."""
