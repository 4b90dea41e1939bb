#!/usr/bin/env python
"""`make run`: the web server and the django-q2 cluster side by side; Ctrl-C stops both."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PORT = os.environ.get("PORT", "8000")

DEMO = """
  演示账号 / demo accounts (密码 password: demo12345)
    office                     领导小组办公室 Office
    dept-lz dept-zz dept-xc    纪检监察室 / 党建办 / 宣传条线 assessors
    leader                     领导小组成员 Leading Group member
    auditor                    审计（只读）auditor, read-only
    c01 … c15                  社区经办人 community staff
    c01-sec … c15-sec          社区党委书记 community secretaries
    admin                      系统管理员 superuser
"""


def main() -> int:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # --noreload: one process, so Ctrl-C stops the server for sure (the autoreloader's child can
    # outlive its parent).
    web = subprocess.Popen(
        [PY, "manage.py", "runserver", "--noreload", f"127.0.0.1:{PORT}"], cwd=ROOT, env=env
    )
    cluster = subprocess.Popen([PY, "manage.py", "qcluster"], cwd=ROOT, env=env)
    print(f"\n  http://127.0.0.1:{PORT}/\n{DEMO}\n  Ctrl-C 停止 / to stop\n", flush=True)
    processes = [web, cluster]
    try:
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for p in processes:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 10
        for p in processes:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
    failed = [p.returncode for p in processes if p.returncode not in (0, None, -2, 130)]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
