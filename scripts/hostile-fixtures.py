#!/usr/bin/env python3
"""Writes the hostile documents of issue 22 (item 3): small files that once
stalled overlab's parsers. They are fuzz seeds and the cases of the
Test*HostileFiles tests; run from the repository root to write them again."""

def write(path, text):
    with open(path, "w") as f:
        f.write(text)

# A lab whose attachments are aliases of one large attachment: each is
# decoded by a fresh yaml.v3 decoder, out of reach of its alias guard
# (before: 4 s for 56 KB; 20 s for 110 KB).
big = "[" + ",".join(["a"] * 2000) + "]"
write("lab/testdata/hostile/attachment-aliases.yaml", "\n".join([
    "name: hostile-aliases",
    "networks:",
    "  - {name: n, driver: bridge}",
    "workloads:",
    "  - name: w0",
    "    networks:",
    "      - &att {network: n, aliases: %s}" % big,
    "  - name: w1",
    "    networks: [" + ",".join(["*att"] * 10000) + "]",
]) + "\n")

# The classic: each level repeats the one below ten times.
levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
for i in range(1, 9):
    levels.append("a%d: &a%d [%s]" % (i, i, ", ".join(["*a%d" % (i - 1)] * 10)))
write("lab/testdata/hostile/billion-laughs.yaml",
      "name: laughs\ndescription: x\nworkloads:\n  - name: w\n    command: *a8\n" .replace("workloads", "\n".join(["x-anchors:"] + ["  " + l for l in levels]) + "\nworkloads"))

# Nested 100 levels deep.
write("lab/testdata/hostile/deep.yaml", "name: deep\nworkloads: " + "[" * 100 + "]" * 100 + "\n")

# TOML inline tables nested 9000 deep: converted through YAML text, whose
# indentation grows with the square of the depth (before: 3.5 s for 54 KB).
d = 9000
write("inventory/testdata/hostile/deep.toml", "[defaults]\nuser = " + "{a = " * d + "1" + "}" * d + "\n")

# A syntax error on the last line of 2500 hosts: every prefix of the file
# was re-parsed to name its line (before: about 5 s for 100 KB; 28 s for 258 KB).
lines = ["hosts:"]
for i in range(2500):
    lines.append("  - name: node%d\n    address: 10.0.%d.%d" % (i, i // 250, i % 250 + 1))
lines.append("   bad: indentation")
write("inventory/testdata/hostile/error-last-line.yaml", "\n".join(lines) + "\n")

# 5000 hosts that are one alias of a host with 5000 labels: walked before
# yaml.v3's guard (before: 3.4 s for 84 KB).
labels = "{" + ", ".join("k%d: v" % i for i in range(5000)) + "}"
write("inventory/testdata/hostile/aliases.yaml",
      "defaults: {user: x}\nhosts:\n  - &h {name: n1, address: 10.0.0.1, labels: " + labels + "}\n  - "
      + "\n  - ".join(["*h"] * 5000) + "\n")

# An Ansible YAML inventory whose 3000 hosts share one alias of 3000 variables.
hvars = "{" + ", ".join("v%d: x" % i for i in range(3000)) + "}"
write("inventory/importer/testdata/hostile/ansible-aliases.yaml",
      "all:\n  vars: &v " + hvars + "\n  hosts:\n" + "".join("    h%d: *v\n" % i for i in range(3000)))
