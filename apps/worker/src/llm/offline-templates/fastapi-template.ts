import { readme } from './shared-assets';
import { staticSite } from './static-site';
import { pyString } from './template-escaping';
import type { Template, TemplateInput } from './template-input';

/**
 * FastAPI with uvicorn. Every type gets `/health`; all but landing pages get an in-memory items
 * resource; all but APIs serve a page from `static/`, mounted last so the routes win.
 */
export const fastapiTemplate: Template = (input) => {
  const instructions = 'pip install -r requirements.txt && uvicorn main:app --reload';
  const hasItems = input.type !== 'landing_page';
  const hasPage = input.type !== 'api';
  return {
    files: [
      { path: 'requirements.txt', content: 'fastapi==0.163.2\nuvicorn==0.54.0\n' },
      { path: 'main.py', content: mainPy(input, hasItems, hasPage) },
      ...(hasPage ? staticSite(input, { dir: 'static/', itemsUrl: hasItems ? '/items' : undefined }) : []),
      {
        path: 'README.md',
        content: readme(input, {
          instructions,
          url: hasPage ? 'http://localhost:8000' : 'http://localhost:8000/docs',
          sections: hasItems ? [ITEMS_API_DOC] : [],
        }),
      },
    ],
    entrypoint: 'main.py',
    instructions,
  };
};

const ITEMS_API_DOC = `## API

- \`GET /health\` → \`{"status": "ok"}\`
- \`GET /items\` → every item
- \`POST /items\` with \`{"text": "..."}\` → 201 and the new item
- \`GET /items/{id}\` → one item, or 404
- \`DELETE /items/{id}\` → 204, or 404

Interactive documentation is at \`/docs\`. Items are kept in memory and reset on restart.`;

const ITEMS_ROUTES = `

class ItemIn(BaseModel):
    text: str = Field(min_length=1)


class Item(ItemIn):
    id: int


items: dict[int, Item] = {}
next_id = 1


@app.get("/items")
def list_items() -> list[Item]:
    return list(items.values())


@app.post("/items", status_code=201)
def create_item(body: ItemIn) -> Item:
    global next_id
    item = Item(id=next_id, text=body.text.strip())
    items[item.id] = item
    next_id += 1
    return item


@app.get("/items/{item_id}")
def get_item(item_id: int) -> Item:
    if item_id not in items:
        raise HTTPException(status_code=404, detail="item not found")
    return items[item_id]


@app.delete("/items/{item_id}", status_code=204)
def delete_item(item_id: int) -> None:
    if items.pop(item_id, None) is None:
        raise HTTPException(status_code=404, detail="item not found")
`;

function mainPy(input: TemplateInput, hasItems: boolean, hasPage: boolean): string {
  const imports = [
    ...(hasPage ? ['from pathlib import Path', ''] : []),
    hasItems ? 'from fastapi import FastAPI, HTTPException' : 'from fastapi import FastAPI',
    ...(hasPage ? ['from fastapi.staticfiles import StaticFiles'] : []),
    ...(hasItems ? ['from pydantic import BaseModel, Field'] : []),
  ];
  const root = hasPage
    ? `

app.mount("/", StaticFiles(directory=Path(__file__).parent / "static", html=True), name="static")
`
    : `

@app.get("/")
def root() -> dict:
    return {"name": TITLE, "description": DESCRIPTION, "docs": "/docs"}
`;
  return `${imports.join('\n')}

TITLE = ${pyString(input.title)}
DESCRIPTION = ${pyString(input.description)}

app = FastAPI(title=TITLE, description=DESCRIPTION)


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}
${hasItems ? ITEMS_ROUTES : ''}${root}`;
}
