// The extension's own product icon (the status bar item's): three thread lanes with their
// work staggered in time, as the timeline draws them. Built into dist/conclens-icons.ttf by
// esbuild.mjs from the rectangles below (x, y, width, height on a 16-unit grid, y down, the
// way icons are drawn), so no binary font lives in the repository.
import svg2ttf from 'svg2ttf';

const LANES = [
  [1, 2, 9, 3],
  [4, 6.5, 11, 3],
  [2, 11, 10, 3],
];

/** Code point of the glyph; package.json `contributes.icons` names it as fontCharacter "\E001". */
export const LANES_CODE_POINT = 0xe001;

const EM = 1000;
const SCALE = EM / 16;

/** Rectangles to one SVG path in font units (y up, baseline at the bottom of the grid). */
function glyphPath() {
  return LANES.map(([x, y, w, h]) => {
    const [left, right] = [x * SCALE, (x + w) * SCALE];
    const [top, bottom] = [EM - y * SCALE, EM - (y + h) * SCALE];
    return `M${left} ${bottom}L${right} ${bottom}L${right} ${top}L${left} ${top}Z`;
  }).join('');
}

export function buildIconFont() {
  const svgFont = `<?xml version="1.0" standalone="no"?>
<svg xmlns="http://www.w3.org/2000/svg"><defs><font id="conclens-icons" horiz-adv-x="${EM}">
<font-face font-family="conclens-icons" units-per-em="${EM}" ascent="${EM}" descent="0"/>
<missing-glyph horiz-adv-x="0"/>
<glyph glyph-name="lanes" unicode="&#x${LANES_CODE_POINT.toString(16)};" horiz-adv-x="${EM}" d="${glyphPath()}"/>
</font></defs></svg>`;
  // A fixed timestamp keeps the build reproducible.
  return Buffer.from(svg2ttf(svgFont, { ts: 0, version: '1.0' }).buffer);
}
