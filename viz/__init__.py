"""Chain maps, offline: pyvis builds the nodes and edges, vis-network draws them.

:mod:`viz.views` says which nodes a map shows and what each means, :mod:`viz.layout` where
they go when there are too many for physics, :mod:`viz.render` the HTML page.
"""
