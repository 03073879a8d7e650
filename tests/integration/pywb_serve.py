"""A pywb collection served on 127.0.0.1, port 0: ``python -m tests.integration.pywb_serve DIR READY_FILE``.

DIR holds pywb's ``collections/`` (``wb-manager init``/``add``); the chosen port is written to READY_FILE
once the server listens. pywb runs under gevent, as its own ``wayback`` command does, but on a port the
OS picks (``wayback -p 0`` would not say which).
"""

from __future__ import annotations

from gevent.monkey import patch_all

patch_all()

import os  # noqa: E402 - after gevent's patching, as pywb's own entry point does
import sys  # noqa: E402

from gevent.pywsgi import WSGIServer  # noqa: E402


def main() -> None:
    directory, ready = sys.argv[1], sys.argv[2]
    os.chdir(directory)
    from pywb.apps.frontendapp import FrontEndApp

    server = WSGIServer(("127.0.0.1", 0), FrontEndApp(), log=None)
    server.start()
    with open(ready + ".tmp", "w") as stream:
        stream.write(str(server.server_port))
    os.replace(ready + ".tmp", ready)
    server.serve_forever()


if __name__ == "__main__":
    main()
