#!/usr/bin/env python3
"""A deliberately wrong routing service, to see kefusim's rule checking.

Every new chat goes to a member of its queue's group in turn (chat id
modulo the group's size), whatever that agent's state: off shift, busy, on
a break, suspended, at its cap, and private contacts included. kefusim
refuses each such assignment, counts it by rule, and lets the chat wait.

The router keeps its own account of the rules it broke, judged the way
docs/protocol.md and kefusim do, at GET /debug/sessions; a test checks
that kefusim's counts equal it exactly. Python standard library only:

    python3 examples/routers/careless.py --port 8081
    kefusim run scenarios/taobao_shop.toml --router http://127.0.0.1:8081
"""

import least_active


class Careless(least_active.Session):
    def __init__(self, hello):
        super().__init__(hello)
        self.broken = {}
        self.all_agents = [a["id"] for a in hello["agents"]]

    def report(self):
        return self.broken

    def rule(self, chat, agent):
        """The rule kefusim finds broken (None: the assignment is fine)."""
        s = self.agents[agent]
        kind = chat["kind"]
        private = kind["kind"] == "private"
        addressed = private or (kind["kind"] in ("direct", "returning") and kind["agent"] == agent)
        if private and not s["main"]:
            return "private_not_main"
        if s["presence"] == "offline":
            return "agent_offline"
        if s["presence"] in ("busy", "break"):
            return "agent_unavailable"
        if s["presence"] == "suspended" and not addressed:
            return "agent_suspended"
        if not addressed and not s["routable"] and not s["main"]:
            return "not_routable"
        # Caps: this example runs on scenarios where addressed buyers respect them.
        if s["open"] + s["reserved"] >= s["cap"]:
            return "over_cap"
        if not addressed and chat["queue"] < self.main_queue and chat["queue"] not in self.agent_groups[agent]:
            return "outside_group"
        return None

    def arrived(self, e, out):
        members = self.members.get(e["queue"]) or self.all_agents
        agent = members[e["chat"]["id"] % len(members)]
        broken = self.rule(e, agent)
        if broken:
            self.broken[broken] = self.broken.get(broken, 0) + 1
        out.append({"type": "assign", "chat": e["chat"], "agent": agent,
                    "reason": {"kind": "policy", "policy": "round_robin"}})

    def handle(self, body):
        self.now = body["now"]
        for c in body.get("changes", []):
            self.agents[c["agent"]] = c
        out = []
        for e in body["events"]:
            if e["type"] == "arrived":
                self.arrived(e, out)
        return {"commands": out, "continue": False}


if __name__ == "__main__":
    least_active.main(Careless, __doc__)
