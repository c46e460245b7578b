#!/usr/bin/env python3
"""A Python host through the C API, with nothing but the standard library
(ctypes): deploy the example process, run orders, wait for each by its
handle, and print where they ended.

    CONVEY_LIBRARY=PREFIX/lib/libconvey.so python3 convey_example.py [SCHEME]
"""
import ctypes
import json
import os
import sys
from collections import Counter


class ConveyError(Exception):
    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code


class Convey:
    """The few calls of convey/c.h this example needs."""

    def __init__(self, path):
        lib = ctypes.CDLL(path)
        lib.convey_version.restype = ctypes.c_char_p
        lib.convey_code_name.restype = ctypes.c_char_p
        lib.convey_free.argtypes = [ctypes.c_void_p]
        lib.convey_options_create.restype = ctypes.c_void_p
        lib.convey_options_destroy.argtypes = [ctypes.c_void_p]
        lib.convey_options_set_virtual_clock.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.convey_open.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p),
                                    ctypes.POINTER(ctypes.c_void_p)]
        lib.convey_close.argtypes = [ctypes.c_void_p, ctypes.c_int64,
                                     ctypes.POINTER(ctypes.c_void_p)]
        lib.convey_deploy_file.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.POINTER(ctypes.c_int64)),
            ctypes.POINTER(ctypes.c_size_t), ctypes.POINTER(ctypes.c_void_p),
            ctypes.POINTER(ctypes.c_void_p)]
        lib.convey_create_task.argtypes = [
            ctypes.c_void_p, ctypes.c_int64, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t,
            ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_void_p),
            ctypes.POINTER(ctypes.c_void_p)]
        lib.convey_task_wait.argtypes = [ctypes.c_void_p, ctypes.c_int64,
                                         ctypes.POINTER(ctypes.c_void_p),
                                         ctypes.POINTER(ctypes.c_void_p)]
        lib.convey_task_destroy.argtypes = [ctypes.c_void_p]
        lib.convey_stats.argtypes = [ctypes.c_void_p]
        lib.convey_stats.restype = ctypes.c_void_p
        self.lib = lib

    def version(self):
        return self.lib.convey_version().decode()

    def take_string(self, pointer):
        """A string the library allocated, freed once read."""
        if not pointer:
            return None
        text = ctypes.string_at(pointer).decode()
        self.lib.convey_free(pointer)
        return text

    def check(self, code, error):
        if code != 0:
            name = self.lib.convey_code_name(code).decode()
            raise ConveyError(name, self.take_string(error.value))


class Engine:
    def __init__(self, convey, virtual_clock=True):
        self.convey = convey
        lib = convey.lib
        options = lib.convey_options_create()
        lib.convey_options_set_virtual_clock(options, 1 if virtual_clock else 0)
        self.handle = ctypes.c_void_p()
        error = ctypes.c_void_p()
        code = lib.convey_open(options, ctypes.byref(self.handle), ctypes.byref(error))
        lib.convey_options_destroy(options)
        convey.check(code, error)

    def deploy_file(self, path):
        ids = ctypes.POINTER(ctypes.c_int64)()
        count = ctypes.c_size_t()
        error = ctypes.c_void_p()
        code = self.convey.lib.convey_deploy_file(self.handle, path.encode(), ctypes.byref(ids),
                                                  ctypes.byref(count), None, ctypes.byref(error))
        self.convey.check(code, error)
        conv_ids = [ids[i] for i in range(count.value)]
        self.convey.lib.convey_free(ids)
        return conv_ids

    def submit(self, conv_id, ref, data):
        """Creates a task; returns its handle (a Task)."""
        body = json.dumps(data).encode()
        task = ctypes.c_void_p()
        error = ctypes.c_void_p()
        code = self.convey.lib.convey_create_task(
            self.handle, conv_id, ref.encode() if ref else None, body, len(body), None,
            ctypes.byref(task), ctypes.byref(error))
        self.convey.check(code, error)
        return Task(self.convey, task)

    def stats(self):
        return json.loads(self.convey.take_string(self.convey.lib.convey_stats(self.handle)))

    def close(self, timeout_ms=10000):
        error = ctypes.c_void_p()
        code = self.convey.lib.convey_close(self.handle, timeout_ms, ctypes.byref(error))
        self.handle = None
        self.convey.check(code, error)


class Task:
    def __init__(self, convey, handle):
        self.convey = convey
        self.handle = handle

    def wait(self, timeout_ms=10000):
        """The task as it ended: a dict (status, node_title, data, ...)."""
        result = ctypes.c_void_p()
        error = ctypes.c_void_p()
        code = self.convey.lib.convey_task_wait(self.handle, timeout_ms, ctypes.byref(result),
                                                ctypes.byref(error))
        self.convey.check(code, error)
        return json.loads(self.convey.take_string(result.value))

    def __del__(self):
        if self.handle:
            self.convey.lib.convey_task_destroy(self.handle)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    scheme = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "orders.conv.json")
    convey = Convey(os.environ.get("CONVEY_LIBRARY", "libconvey.so"))
    print(f"convey {convey.version()}")
    engine = Engine(convey)
    conv_id = engine.deploy_file(scheme)[0]
    orders = [{"price": i % 50, "qty": i % 40} for i in range(200)] + [{"qty": 1}]
    tasks = [engine.submit(conv_id, f"order-{i}", order) for i, order in enumerate(orders)]
    ends = Counter()
    for task in tasks:
        result = task.wait()
        ends[(result["status"], result["node_title"])] += 1
    for (status, node), count in sorted(ends.items()):
        print(f"{count:6d}  {status} in {node}")
    try:
        engine.submit(conv_id, "", "not an object")
    except ConveyError as error:
        print(f"refused: {error}")
    stats = engine.stats()
    print(f"created {stats['tasks_created']}, finished {stats['tasks_finished']}")
    engine.close()


if __name__ == "__main__":
    main()
