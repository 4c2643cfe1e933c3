"""aoai-lab: the Pulumi program. All logic lives in stacks/ and components/."""

from stacks.program import run

run()
