"""Supply: accelerators -> bills of materials -> dies -> DRAM, logic and CoWoS wafers,
time-phased against industry capacity (see DESIGN.md, stage "supply")."""
