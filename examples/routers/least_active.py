#!/usr/bin/env python3
"""A routing service for kefusim, written from docs/protocol.md alone.

Policy: least active. A new chat goes to the agent of its group with the
fewest open chats (ties: the longest since its last assignment, then the
lower id) among those online, taking part in routing and under their cap;
if there is none, it waits in its queue. When an agent frees a slot, comes
back or comes on shift, it takes the waiting chats of its groups, best
class first, oldest first. Returning, directly addressed and private
buyers are routed like new ones, and abandoned chats are simply dropped:
this is an example, not the platform's full rule set.

Python standard library only. Run:

    python3 examples/routers/least_active.py --port 8080
    kefusim run scenarios/quickstart.toml --router http://127.0.0.1:8080
"""

import argparse
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PROTOCOL = "kefusim-routing/1"


class Session:
    def __init__(self, hello):
        self.agents = {}  # id -> state (from "changes")
        self.agent_groups = {a["id"]: a["groups"] for a in hello["agents"]}
        self.members = {g["id"]: g["members"] for g in hello["groups"]}
        self.main_queue = hello["main_queue"]
        self.tiers = hello["vip_tiers"]
        self.waiting = {}  # queue -> list of (class, arrival id, chat)
        self.lock = threading.Lock()

    def free(self, a):
        s = self.agents.get(a)
        return (s is not None and s["presence"] == "online" and s["routable"]
                and s["open"] + s["reserved"] < s["cap"])

    def pick(self, candidates):
        best = None
        for a in candidates:
            if not self.free(a):
                continue
            s = self.agents[a]
            last = s["last_assigned_at"]
            key = (s["open"], -1 if last is None else last, a)
            if best is None or key < best[0]:
                best = (key, a)
        return None if best is None else best[1]

    def assign(self, chat, agent):
        s = self.agents[agent]
        s["open"] += 1  # until the next "changes" say otherwise
        s["last_assigned_at"] = self.now
        return {"type": "assign", "chat": chat, "agent": agent,
                "reason": {"kind": "policy", "policy": "least_active"}}

    def klass(self, tier):
        return tier - 1 if tier > 0 else self.tiers

    def arrived(self, e, out):
        queue = e["queue"]
        members = self.members.get(queue, [])
        agent = self.pick(members)
        if agent is not None:
            out.append(self.assign(e["chat"], agent))
            return
        k = self.klass(e["tier"]) + (1 if e["offline"] else 0)
        self.waiting.setdefault(queue, []).append((k, e["chat"]["id"], e["chat"]))
        out.append({"type": "wait", "chat": e["chat"], "queue": queue, "class": k})

    def drain(self, agent, out):
        while self.free(agent):
            best = None
            for g in self.agent_groups.get(agent, []):
                q = self.waiting.get(g)
                if q:
                    head = min(q, key=lambda w: (w[0], w[1]))
                    if best is None or head[:2] < best[1][:2]:
                        best = (g, head)
            if best is None:
                return
            self.waiting[best[0]].remove(best[1])
            out.append(self.assign(best[1][2], agent))

    def forget(self, chat):
        for q in self.waiting.values():
            for w in q:
                if w[2]["id"] == chat["id"]:
                    q.remove(w)
                    return

    def handle(self, body):
        self.now = body["now"]
        for c in body.get("changes", []):
            self.agents[c["agent"]] = c
        out = []
        for e in body["events"]:
            t = e["type"]
            if t in ("arrived", "rerouted"):
                self.arrived(e, out)
            elif t in ("slot_freed", "returned", "on_shift"):
                self.drain(e["agent"], out)
            elif t == "presence" and e["to"] == "online":
                self.drain(e["agent"], out)
            elif t == "cap_changed" and e["to"] > e["from"]:
                self.drain(e["agent"], out)
            elif t == "group_joined":
                a, g = e["agent"], e["group"]
                self.members[g] = sorted(self.members.get(g, []) + [a])
                self.agent_groups[a] = self.agent_groups.get(a, []) + [g]
                self.drain(a, out)
            elif t == "group_left":
                a, g = e["agent"], e["group"]
                self.members[g] = [m for m in self.members.get(g, []) if m != a]
                self.agent_groups[a] = [x for x in self.agent_groups.get(a, []) if x != g]
            elif t == "abandoned":
                self.forget(e["chat"])
            elif t == "offer_failed":
                self.arrived({"chat": e["chat"], "queue": 0, "tier": 0,
                              "offline": False}, out)
            elif t == "transfer_due":
                agent = self.pick(self.members.get(e["group"], []))
                out.append({"type": "transfer", "chat": e["chat"],
                            "to": agent, "group": e["group"]})
        return {"commands": out, "continue": False}


SESSIONS = {}
NEXT = [0]
LOCK = threading.Lock()
SESSION_CLASS = [Session]  # replaced by routers built on this one


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's
        # algorithm and delayed ACKs add ~40 ms to every answer.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def reply(self, status, doc=None):
        data = b"" if doc is None else json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("content-length", "0"))
        return json.loads(self.rfile.read(n) or b"{}")

    def do_GET(self):
        if self.path == "/v1/health":
            self.reply(200, {"protocol": PROTOCOL, "independent_sessions": True})
        elif self.path == "/debug/sessions":  # for tests: each session's own account
            self.reply(200, {k: getattr(s, "report", lambda: {})() for k, s in SESSIONS.items()})
        else:
            self.reply(404, {"error": "unknown path"})

    def do_POST(self):
        try:
            body = self.body()
        except ValueError as e:
            return self.reply(400, {"error": f"not JSON: {e}"})
        parts = self.path.strip("/").split("/")
        if parts == ["v1", "sessions"]:
            with LOCK:
                NEXT[0] += 1
                sid = str(NEXT[0])
                SESSIONS[sid] = SESSION_CLASS[0](body)
            return self.reply(201, {"session": sid})
        if len(parts) == 4 and parts[:2] == ["v1", "sessions"] and parts[3] == "events":
            s = SESSIONS.get(parts[2])
            if s is None:
                return self.reply(404, {"error": f"no session {parts[2]}"})
            try:
                with s.lock:
                    return self.reply(200, s.handle(body))
            except (KeyError, TypeError) as e:
                return self.reply(400, {"error": f"missing or bad field: {e}"})
        self.reply(404, {"error": "unknown path"})

    def do_DELETE(self):
        # Sessions are kept until the server stops, so that /debug/sessions
        # can still show them; a real service would drop them here.
        self.reply(204)


def main(session_class=Session, doc=__doc__):
    SESSION_CLASS[0] = session_class
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--port", type=int, default=8080)
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"{session_class.__name__} router on http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
