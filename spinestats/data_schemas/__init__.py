"""What a registry export must look like, and how it is read and checked."""
