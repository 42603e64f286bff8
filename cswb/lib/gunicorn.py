"""gunicorn's access log without residents' and applicants' private links (``cswb.lib.links``)."""

from gunicorn.glogging import Logger

from cswb.lib.links import redact


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        """Return gunicorn's log atoms with the token of every private link hidden."""
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value
                for key, value in atoms.items()}
