"""Value objects and codes shared by every node: identities, numbers, regions, grades."""
