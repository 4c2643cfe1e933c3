"""Facts about Azure that more than one layer states, each in one place with its public source.

The layer below everything: plain Python (and data files), importing nothing of the project, so components/,
stacks/, labctl/ and the policy pack can all use it. tests/test_facts.py fails when a fact's literal appears
anywhere else. (stacks/facts/ holds the facts only the stack layer and labctl read: clouds, models, prices.)
"""
