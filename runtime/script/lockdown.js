// Run once in each worker's JavaScript global, before any Code node: makes
// every built-in object immutable, so that nothing one execution does to a
// prototype or a built-in (`Object.prototype.x = 1`, `JSON.parse = f`) is
// seen by the next. Scripts keep their own globals in a fresh environment
// per execution (see js_runner.cc).
(function lockdown(global) {
  'use strict';
  const {
    defineProperty, freeze, getOwnPropertyDescriptor, getOwnPropertyNames,
    getOwnPropertySymbols, getPrototypeOf, isFrozen,
  } = Object;
  const hasOwn = Function.prototype.call.bind(Object.prototype.hasOwnProperty);

  // Not part of the platform's box, or able to block a worker.
  for (const name of ['WebAssembly', 'SharedArrayBuffer', 'Atomics', 'FinalizationRegistry',
                      'WeakRef', 'InternalError']) {
    delete global[name];
  }
  // console.* has no effect on the platform; present so that calls do not throw.
  const noop = function () {};
  global.console = { log: noop, info: noop, warn: noop, error: noop, debug: noop, trace: noop };

  // Intrinsics that no global property names.
  const hidden = [
    getPrototypeOf(function* () {}),
    getPrototypeOf(async function () {}),
    getPrototypeOf(async function* () {}),
    getPrototypeOf([][Symbol.iterator]()),
    getPrototypeOf(getPrototypeOf([][Symbol.iterator]())),
    getPrototypeOf(new Map()[Symbol.iterator]()),
    getPrototypeOf(new Set()[Symbol.iterator]()),
    getPrototypeOf(''[Symbol.iterator]()),
    getPrototypeOf(/x/[Symbol.matchAll](''))
  ];
  hidden.push(getPrototypeOf(Int8Array), getPrototypeOf(Int8Array.prototype),
              getPrototypeOf(hidden[0]), getPrototypeOf(hidden[2]),
              getOwnPropertyDescriptor(Function.prototype, 'caller') &&
                  getOwnPropertyDescriptor(Function.prototype, 'caller').get);

  // The override mistake: with Object.prototype frozen, `obj.toString = f`
  // on an ordinary object would fail (silently, or with a TypeError in
  // strict code), because an inherited read-only property forbids the
  // assignment. Libraries do exactly that: CryptoJS's mixIn sets toString,
  // custom Error classes set `this.name`, core-js (inside XRegExp) writes
  // `store.get = store.get` on a WeakMap. As SES does, every data property
  // of a prototype becomes an accessor whose setter gives the object its
  // own property.
  function tame(proto, name) {
    const desc = getOwnPropertyDescriptor(proto, name);
    if (!desc || !('value' in desc) || !desc.configurable || !desc.writable) return;
    const value = desc.value;
    const getter = function () { return value; };
    const setter = function (newValue) {
      if (this === proto) {
        throw new TypeError(`Cannot assign to read only property '${String(name)}' of a built-in`);
      }
      if (hasOwn(this, name)) {
        this[name] = newValue;
      } else {
        defineProperty(this, name,
                       { value: newValue, writable: true, enumerable: true, configurable: true });
      }
    };
    defineProperty(proto, name, { get: getter, set: setter, enumerable: desc.enumerable,
                                  configurable: false });
  }

  const seen = new Set();
  const queue = [global, ...hidden];
  while (queue.length) {
    const object = queue.pop();
    if ((typeof object !== 'object' && typeof object !== 'function') || object === null ||
        seen.has(object)) {
      continue;
    }
    seen.add(object);
    queue.push(getPrototypeOf(object));
    for (const key of [...getOwnPropertyNames(object), ...getOwnPropertySymbols(object)]) {
      const desc = getOwnPropertyDescriptor(object, key);
      if ('value' in desc) queue.push(desc.value);
      if (desc.get) queue.push(desc.get);
      if (desc.set) queue.push(desc.set);
    }
  }
  for (const object of seen) {
    if (object === global) continue;
    const isPrototype = object === Object.prototype ||
        (hasOwn(object, 'constructor') && typeof object.constructor === 'function' &&
         object.constructor.prototype === object);
    if (isPrototype) {
      for (const key of [...getOwnPropertyNames(object), ...getOwnPropertySymbols(object)]) {
        tame(object, key);
      }
    }
  }
  for (const object of seen) {
    if (!isFrozen(object)) freeze(object);
  }
  // The getters and setters made by tame().
  for (const object of seen) {
    for (const key of [...getOwnPropertyNames(object), ...getOwnPropertySymbols(object)]) {
      const desc = getOwnPropertyDescriptor(object, key);
      if (desc.get) freeze(desc.get);
      if (desc.set) freeze(desc.set);
    }
  }
})(this);
