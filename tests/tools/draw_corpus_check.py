#!/usr/bin/env python3
"""`convey draw` over every process of every scheme file given.

  draw_corpus_check.py CONVEY [--must-load FILE]... FILE...

For each file `convey draw` loads, every process it holds is drawn and the
SVG is checked: well-formed XML (xml.etree), one `g.node` per node of the
process with one shape, a <title> and a title text each, and one
`path.edge` per link, where the links are read here from the raw export
JSON, independently of convey's importer: each logic's `to_node_id`
(`condition` for go_if_const, else `go`) and `err_node_id` (`error`), a
time semaphore's `to_node_id` (`timer`), a count semaphore's `esc_node_id`
(`count`), and the same logic links inside a stub node's branches; a link
that is empty or names no node of the process is not one. Files given with
--must-load must load. Exit status 1 on any mismatch.
"""
import collections
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def as_object(value):
    """An object, or JSON text holding one (older exports), else None."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def as_int(value):
    """A number or a numeric string (exports write both), else None."""
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def raw_processes(document):
    """The processes of an export, in file order."""
    if isinstance(document, list):
        return [item for item in document if isinstance(item, dict) and
                (as_int(item.get("obj_type")) == 1 or
                 ("obj_type" not in item and "scheme" in item))]
    return [document] if isinstance(document, dict) else []


def raw_nodes(process):
    scheme = as_object(process.get("scheme")) or {}
    return [as_object(node) or {} for node in scheme.get("nodes") or []]


def expected_links(nodes):
    """(from index, to index, kind) of every link, counted."""
    index = {}
    for i, node in enumerate(nodes):
        node_id = node.get("id")
        if isinstance(node_id, str) and node_id and node_id not in index:
            index[node_id] = i
    links = collections.Counter()

    def link(source, target, kind):
        if isinstance(target, str) and target in index:
            links[(source, index[target], kind)] += 1

    def logic_links(source, logics):
        for logic in logics if isinstance(logics, list) else []:
            logic = as_object(logic) or {}
            kind = "condition" if logic.get("type") == "go_if_const" else "go"
            link(source, logic.get("to_node_id"), kind)
            link(source, logic.get("err_node_id"), "error")

    for i, node in enumerate(nodes):
        condition = as_object(node.get("condition")) or {}
        logic_links(i, condition.get("logics"))
        for semaphore in condition.get("semaphors") or []:
            semaphore = as_object(semaphore) or {}
            if semaphore.get("type") == "time":
                link(i, semaphore.get("to_node_id"), "timer")
            elif semaphore.get("type") == "count":
                link(i, semaphore.get("esc_node_id"), "count")
        if as_int(node.get("obj_type")) == 4:
            stub = as_object(condition.get("stub")) or {}
            for branch in stub.get("logics") or []:
                logic_links(i, branch)
    return links


def check_svg(svg, nodes, where):
    """The problems of one picture against its raw nodes."""
    problems = []
    try:
        root = ET.fromstring(svg.encode("utf-8"))
    except ET.ParseError as error:
        return ["%s: not well-formed XML: %s" % (where, error)]
    if root.tag != SVG + "svg":
        problems.append("%s: the root is %s, not an SVG svg" % (where, root.tag))
    drawn = [g for g in root.iter(SVG + "g") if "node" in g.get("class", "").split()]
    if len(drawn) != len(nodes):
        problems.append("%s: %d g.node for %d nodes" % (where, len(drawn), len(nodes)))
        return problems
    position = {}
    for i, (g, node) in enumerate(zip(drawn, nodes)):
        node_id = g.get("data-node-id", "")
        raw_id = node.get("id")
        if isinstance(raw_id, str) and raw_id and node_id != raw_id:
            problems.append("%s: node %d drawn as %r, not %r" % (where, i, node_id, raw_id))
        if node_id in position:
            problems.append("%s: node id %r drawn twice" % (where, node_id))
        position[node_id] = i
        shapes = [e for e in g if "shape" in e.get("class", "").split()]
        titles = [e for e in g if e.tag == SVG + "title"]
        texts = [e for e in g if e.tag == SVG + "text" and "title" in e.get("class", "").split()]
        if (len(shapes), len(titles), len(texts)) != (1, 1, 1):
            problems.append("%s: node %r has %d shapes, %d <title>, %d title texts" %
                            (where, node_id, len(shapes), len(titles), len(texts)))
    edges = collections.Counter()
    for path in root.iter(SVG + "path"):
        classes = path.get("class", "").split()
        if "edge" not in classes:
            continue
        kinds = [c for c in classes if c != "edge"]
        source, target = path.get("data-from"), path.get("data-to")
        if source not in position or target not in position or len(kinds) != 1:
            problems.append("%s: edge %r -> %r (%s) names no drawn node" %
                            (where, source, target, classes))
            continue
        edges[(position[source], position[target], kinds[0])] += 1
    expected = expected_links(nodes)
    for link in sorted(set(edges) | set(expected)):
        if edges[link] != expected[link]:
            problems.append("%s: link %s -> %s (%s): %d drawn, %d in the export" %
                            (where, nodes[link[0]].get("id"), nodes[link[1]].get("id"), link[2],
                             edges[link], expected[link]))
    return problems


def draw(convey, args):
    return subprocess.run([convey, "draw"] + args, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, encoding="utf-8", errors="replace")


def main(argv):
    convey = argv[1]
    must_load, files = set(), []
    args = iter(argv[2:])
    for arg in args:
        if arg == "--must-load":
            arg = next(args)
            must_load.add(arg)
        if arg not in files:
            files.append(arg)
    problems, drawn_processes, drawn_links = [], 0, collections.Counter()
    for path in files:
        run = draw(convey, [path])
        if run.returncode == 0:
            conv_ids = [None]
        elif run.returncode == 2 and "name one with --conv" in run.stderr:
            conv_ids = re.findall(r"^  --conv (\d+)", run.stderr, re.M)
        elif run.returncode == 1 and path not in must_load and run.stderr.strip():
            continue  # does not load: its diagnostics are on stderr
        else:
            problems.append("%s: exit %d: %s" % (path, run.returncode, run.stderr.strip()))
            continue
        with open(path, encoding="utf-8-sig") as file:
            processes = raw_processes(json.load(file))
        if len(processes) != len(conv_ids):
            problems.append("%s: %d processes in the export, %d drawable" %
                            (path, len(processes), len(conv_ids)))
            continue
        for process, conv_id in zip(processes, conv_ids):
            if conv_id is not None:
                run = draw(convey, [path, "--conv", conv_id])
                if run.returncode != 0:
                    problems.append("%s --conv %s: exit %d: %s" %
                                    (path, conv_id, run.returncode, run.stderr.strip()))
                    continue
            nodes = raw_nodes(process)
            problems += check_svg(run.stdout, nodes, "%s (process %s)" % (path, conv_id or "1 of 1"))
            drawn_processes += 1
            for (_, _, kind), count in expected_links(nodes).items():
                drawn_links[kind] += count
    print("%d files, %d processes drawn; links by kind: %s" %
          (len(files), drawn_processes, dict(sorted(drawn_links.items()))))
    # Every kind is exercised, so that a kind the writer forgets is caught.
    for kind in ("go", "condition", "error", "timer", "count"):
        if not drawn_links[kind]:
            problems.append("no file given has a %s link" % kind)
    for problem in problems:
        print("FAIL: " + problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
