"""Word templates (.docx) shipped inside the package as ``thidua_xl.templates``.

This folder lives at the repository root (project layout) and setup.cfg maps it into the
package with ``package_dir``; this file makes it a regular package so the mapping also works
in editable installs.  Locate the files with :func:`thidua_xl.resources.templates_dir`.
"""
