// A figure file is valid SVG: well-formed XML, an <svg> root with a size, and text (titles, axis labels) in it.
import type { ExecutionContext } from 'ava';
import { allElements, parseXml } from '../xml-tree';

export function assertValidSvg(t: ExecutionContext, svg: string): void {
  const root = parseXml(svg);
  t.is(root.name, 'svg');
  t.true(Number(root.attributes.width) > 100 && Number(root.attributes.height) > 100, 'the figure has a size');
  t.true(allElements(root).filter((e) => e.name === 'text').length >= 3, 'the figure has a title and axis labels');
}
