"""passages -> answer with citations -> Streamlit chat; the command line."""
