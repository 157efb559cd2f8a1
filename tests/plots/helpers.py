"""What the figure tests share: a big model, drawn text boxes, a model with dollars in its names."""
import itertools

from cem import load_model
from conftest import EXAMPLES

CHANNELS = ["web", "phone", "email", "store", "app"]
STAGES = ["awareness", "search", "evaluate", "purchase", "receive", "setup", "use", "get_help", "maintain",
          "renew", "dispose", "next_cycle"]


def big_model(n_steps=24):
    """A model with long names, several touchpoints per step and company steps under them."""
    lines = ["model: {name: Big}", "jobs:", "  - {id: J, name: Run the household, performer: customer}",
             "  - {id: K, name: Serve households, performer: company}",
             "entities:", "  - {id: hh, name: Household, type: customer}", "  - {id: co, name: Company, type: provider}",
             "actors:", "  - {id: a, name: Householder, entity: hh}", "  - {id: b, name: Agent, entity: co}",
             "steps:"]
    for i in range(n_steps):
        stage = STAGES[i * len(STAGES) // n_steps]
        lines.append(f"  - {{id: S{i}, job: J, position: {i}, stage: {stage}, "
                     f"name: Step number {i} with a rather long and wordy descriptive name}}")
        lines.append(f"  - {{id: C{i}, job: K, position: {i}, stage: {stage}, name: Company work for step {i}}}")
    lines.append("touchpoints:")
    for i, k in itertools.product(range(n_steps), range(2)):
        lines.append(f"  - {{id: T{i}_{k}, name: Touchpoint {k} of step {i} with long label, "
                     f"channel: {CHANNELS[(i + k) % 5]}, step: S{i}, owner: b}}")
    lines.append("needs:")
    for i in range(n_steps):
        lines.append(f"  - {{id: N{i}, step: S{i}, actor: a, dimension: functional, statement: Minimize time {i}}}")
    lines.append("links:")
    for i in range(n_steps):
        lines.append(f"  - {{relation: performs, from: a, to: S{i}}}")
        lines.append(f"  - {{relation: supports, from: C{i}, to: S{i}}}")
    return "\n".join(lines) + "\n"


def text_boxes(ax):
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts if t.get_text().strip()]


#: The colour of a high-severity gap and of a misalignment, as matplotlib reports it (RGB, 0..1).
RED = (0.7529411764705882, 0.2235294117647059, 0.16862745098039217)

#: Names a matplotlib label would read as mathtext: two "$" make a math span ("50 now, " in
#: italics), and "$x^$" is math that does not parse (drawing raises).
DOLLARS = {"step": "Pay $50 now, $20 later", "bad_math": "Cost $x^$ ok", "model": "Plan $x$ and $y$"}


def dollar_model():
    """The payroll model with dollars in the model's name, step, company step, actor, entity and touchpoint names."""
    from cem.graph import journey_steps, nodes_of

    G = load_model(EXAMPLES / "payroll")
    G.graph["name"] = DOLLARS["model"]
    steps = journey_steps(G)
    G.nodes[steps[0]]["name"] = DOLLARS["step"]
    G.nodes[steps[1]]["name"] = DOLLARS["bad_math"]
    for kind in ("actor", "entity", "touchpoint", "job"):
        for node in nodes_of(G, kind)[:2]:
            G.nodes[node]["name"] = f"{G.nodes[node]['name']} {DOLLARS['bad_math']}"
    company = [s for s in nodes_of(G, "step") if s not in steps]
    G.nodes[company[0]]["name"] = DOLLARS["bad_math"]
    return G


def drawn_texts(fig):
    """Every text of a drawn figure (tick labels included) as matplotlib shows it, and whether it is math."""
    from matplotlib.cbook import is_math_text
    from matplotlib.text import Text

    fig.canvas.draw()  # raises on mathtext that does not parse
    texts = [t.get_text() for t in fig.findobj(Text) if t.get_text()]
    assert not [t for t in texts if is_math_text(t)]  # no text is drawn as mathtext
    return [t.replace("\\$", "$") for t in texts]  # matplotlib draws "\$" as "$"
