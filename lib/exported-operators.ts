// The operators a .pt2 archive may use (lib/exported-operators.json, made by scripts/make-operator-list.py): the
// native loader refuses any other before a node runs, so an archive computes with tensors and reaches no file,
// process or network. A user adds a pure computation the list lacks with allowOperators (--allow-operator), the
// way torch.load(weights_only=True) takes add_safe_globals; what 'never' matches stays refused.
import { OptionError, show } from './options';

interface OperatorList { operators: string[]; builtins: string[]; never: string[] }

// Read from the sources (lib/ ships in the package; tsc does not copy JSON into dist/).
const LIST = require('../../lib/exported-operators.json') as OperatorList;
const NEVER = LIST.never.map((pattern) => new RegExp(pattern));
const NAME = /^(aten|prims)\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/;

/** The user's extra operators, checked: "aten.NAME.OVERLOAD" or "prims.NAME.OVERLOAD", none that 'never' matches. */
export function checkAllowOperators(where: string, operators: unknown): string[] {
  if (!Array.isArray(operators)) throw new OptionError(`${where}: allowOperators must be an array of operator names such as 'aten.cosh.default', got ${show(operators)}`);
  return operators.map((op, i) => {
    if (typeof op !== 'string' || !NAME.test(op)) {
      throw new OptionError(`${where}: allowOperators[${i}] must name an ATen or prims operator with its overload, as the graph does ('aten.cosh.default', 'aten.add.Tensor'), got ${show(op)}`);
    }
    const rule = NEVER.find((r) => r.test(op));
    if (rule) {
      throw new OptionError(`${where}: allowOperators[${i}] ${op} is never allowed: it reaches files, the process, other processes or global state, or re-points a tensor at other memory (rule /${rule.source}/ of lib/exported-operators.json)`);
    }
    return op;
  });
}

/** Every operator and builtin a graph of this model may use: the list and the user's additions. */
export function allowedOperators(extra: readonly string[] = []): string[] {
  return [...LIST.operators, ...LIST.builtins, ...extra];
}
