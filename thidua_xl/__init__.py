"""thidua_xl — tổng kết công tác thi đua, khen thưởng của Khối thi đua từ một sổ Excel dùng chung.

The pure core (``model``, ``definition``, ``scoring``, ``ranking``, ``nomination``,
``succession``, ``review``) does no I/O; adapters at the edges read and write workbooks,
Word documents and the command line.
"""

__version__ = "0.1.0"
