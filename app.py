"""Start the stylekit demo app (the Hugging Face Space's ``app_file``); the app itself is the
``stylekit.app`` package. Same as ``stylekit app``.

    python app.py                 # http://127.0.0.1:7860
    python app.py --share         # plus a public *.gradio.live link, e.g. for a class
    python app.py --host 0.0.0.0 --port 8080 --max-queue 32
"""

from stylekit.app import main

if __name__ == "__main__":
    main()
